//! The session's facts: facts typed at the prompt (all of them or none), `:save`, the what-if
//! (`:assume`, `:diff`, `:commit`, `:rollback`), `:retract` and `:facts`.

use super::*;

impl Session {
    /// `facts NAME { ... }` typed at the prompt: its facts are added.
    pub(super) fn facts_block(&mut self, text: &str) -> Reply {
        let file = self.input_file(text);
        let (ast, diags) = crate::syntax::parse_file(file, text);
        if diags.iter().any(Diagnostic::is_error) {
            return Reply::text(self.render(&diags));
        }
        let list: Vec<Fact> = pol::file_facts(&ast).into_iter().cloned().collect();
        Reply::text(self.add_checked(&list))
    }

    /// Parses, checks and adds facts: all of them or none.
    pub(super) fn add_facts(&mut self, file: FileId, text: &str) -> String {
        match crate::syntax::parse_facts(file, text) {
            Ok(list) => self.add_checked(&list),
            Err(diags) => self.render(&diags),
        }
    }

    pub(super) fn add_checked(&mut self, list: &[Fact]) -> String {
        let checked = match pol::check_all(&self.loaded.policy, list) {
            Ok(c) => c,
            Err(diags) => return self.render(&diags),
        };
        let mut added = 0;
        let mut known = 0;
        for c in &checked {
            if self.already_assigned(c) {
                known += 1;
            } else {
                self.facts.apply(c);
                added += 1;
            }
        }
        let mut s = match &mut self.whatif {
            Some(w) => {
                w.changes += added;
                format!("assumed {}", plural(added, "fact"))
            }
            None => format!("added {}", plural(added, "fact")),
        };
        if known > 0 {
            s.push_str(&format!(" ({known} already in the facts)"));
        }
        s.push('\n');
        s
    }

    /// An assignment that is already in the facts, `until` included, is not added twice.
    pub(super) fn already_assigned(&self, c: &CheckedFact) -> bool {
        let CheckedFact::Assign {
            subject,
            role,
            on,
            until,
            ..
        } = c
        else {
            return false;
        };
        let (Some(subject), Some(on)) = (self.subject(subject), self.facts.lookup(on.0, &on.1))
        else {
            return false;
        };
        self.facts.on(on).any(|i| {
            self.facts
                .assignment(i)
                .is_some_and(|a| a.subject == subject && a.role == *role && a.until() == *until)
        })
    }

    /// The subject of a checked assignment, if the facts know its entity.
    pub(super) fn subject(&self, s: &SubjectName) -> Option<Subject> {
        match s {
            SubjectName::Actor(ty, name) => self.facts.lookup(*ty, name).map(Subject::Actor),
            SubjectName::Userset(ty, name, r) => self
                .facts
                .lookup(*ty, name)
                .map(|e| Subject::Userset(e, *r)),
            SubjectName::Wildcard(ty) => Some(Subject::Wildcard(*ty)),
        }
    }

    /// `:save FILE`: every fact as a Pol line, what-if included (it says so).
    pub(super) fn save(&self, args: &str) -> String {
        let path = args.trim();
        if path.is_empty() {
            return "error: `:save` needs a file name\n  help: `:save data.pol`\n".into();
        }
        let lines = text::facts_lines(&self.loaded.policy, &self.facts);
        let mut body = lines.join("\n");
        body.push('\n');
        match std::fs::write(path, body) {
            Ok(()) => {
                let mut out = format!("saved {} to `{path}`", plural(lines.len(), "fact"));
                if self.whatif.is_some() {
                    out.push_str(" (the what-if's facts included)");
                }
                out.push('\n');
                out
            }
            Err(e) => format!("error: cannot write `{path}`: {e}\n"),
        }
    }

    pub(super) fn assume(&mut self, args: &str) -> String {
        let started = self.whatif.is_none();
        if started {
            self.whatif = Some(WhatIf {
                before: self.facts.clone(),
                changes: 0,
            });
        }
        let mut out = String::new();
        if !args.is_empty() {
            let file = self.input_file(args);
            out = self.add_facts(file, args);
            // Facts that did not fit change nothing: no what-if is opened for them.
            if started && self.whatif.as_ref().is_some_and(|w| w.changes == 0) {
                self.whatif = None;
                return out;
            }
        }
        if started {
            out.push_str(
                "what-if started: :diff shows what changes, :commit keeps, :rollback drops\n",
            );
        }
        out
    }

    pub(super) fn diff(&self) -> String {
        let Some(w) = &self.whatif else {
            return "nothing assumed: `:assume FACT...` starts a what-if\n".into();
        };
        whatif::diff(&self.loaded.policy, &w.before, &self.facts)
            .render(&self.loaded.sources, self.style)
    }

    pub(super) fn commit(&mut self) -> String {
        match self.whatif.take() {
            Some(w) => format!("kept {}\n", plural(w.changes, "change")),
            None => "nothing assumed: nothing to commit\n".into(),
        }
    }

    pub(super) fn rollback(&mut self) -> String {
        match self.whatif.take() {
            Some(w) => {
                self.facts = w.before;
                // Its derivation names assignments and entities that are gone.
                self.last = None;
                format!(
                    "dropped {}: the facts are as before :assume\n",
                    plural(w.changes, "change")
                )
            }
            None => "nothing assumed: nothing to roll back\n".into(),
        }
    }

    pub(super) fn retract(&mut self, args: &str) -> String {
        if args.is_empty() {
            return "error: `:retract` needs an assignment\n  help: `:retract user:bob is operator on workspace:ml`\n".into();
        }
        let file = self.input_file(args);
        let list = match crate::syntax::parse_facts(file, args) {
            Ok(l) => l,
            Err(diags) => return self.render(&diags),
        };
        let mut targets = Vec::new();
        for fact in &list {
            let checked = match pol::check_fact(&self.loaded.policy, fact) {
                Ok(c) => c,
                Err(d) => return self.render(&[d]),
            };
            let CheckedFact::Assign {
                subject, role, on, ..
            } = checked
            else {
                return format!(
                    "error: only role assignments can be retracted, not `{}`\n  help: set another value instead (`entity.name = value;`)\n",
                    self.loaded.sources.slice(fact.span()).trim()
                );
            };
            let found = self.subject(&subject).zip(self.facts.lookup(on.0, &on.1));
            let text = self.loaded.sources.slice(fact.span()).trim().to_string();
            match found {
                Some((s, e)) => targets.push((s, role, e, text)),
                None => return format!("error: no such assignment: `{text}`\n"),
            }
        }
        let mut removed = 0;
        let mut missing = Vec::new();
        for (s, role, e, text) in targets {
            match self.facts.retract(s, role, e) {
                0 => missing.push(text),
                n => removed += n,
            }
        }
        if let Some(w) = &mut self.whatif {
            w.changes += removed;
        }
        let mut out = format!("retracted {}\n", plural(removed, "assignment"));
        for m in missing {
            out.push_str(&format!("error: no such assignment: `{m}`\n"));
        }
        out
    }

    pub(super) fn list_facts(&self, filter: &str) -> String {
        let lines = text::facts_lines(&self.loaded.policy, &self.facts);
        let total = lines.len();
        let shown: Vec<String> = lines.into_iter().filter(|l| l.contains(filter)).collect();
        let mut out = String::new();
        for l in &shown {
            out.push_str(l);
            out.push('\n');
        }
        if filter.is_empty() {
            out.push_str(&format!("({})\n", plural(total, "fact")));
        } else {
            out.push_str(&format!(
                "({} of {total} containing `{filter}`)\n",
                shown.len()
            ));
        }
        out
    }
}
