//! `polc repl`, the what-if shell: a [`Session`] takes one input (a query, facts, or a `:`
//! command) and returns the text to print. It has no terminal: the binary wraps it in a line
//! editor ([`editor::ReplHelper`]: highlighting, completion, multi-line input), and tests drive
//! it directly.
//!
//! - [`commands`]: the `:` commands, their help;
//! - `session_facts`: the session's facts (typed facts, `:save`, `:assume` .. `:rollback`,
//!   `:retract`, `:facts`);
//! - [`whatif`]: `:assume` / `:diff`: permissions and constraint violations before and after;
//! - [`why`]: `:why`, the full explanation of the last answer;
//! - [`text`]: facts written back as Pol lines (`:facts`, and carrying data over `:load`);
//! - [`complete`], [`highlight`]: completion and colours from the logos token stream.

pub mod commands;
pub mod complete;
#[cfg(feature = "cli")]
pub mod editor;
pub mod highlight;
mod session_facts;
pub mod text;
pub mod whatif;
pub mod why;

use crate::Loaded;
use crate::diag::Diagnostic;
use crate::diag::render::{self, HumanStyle};
use crate::eval::{Context, query};
use crate::facts::{CheckedFact, Facts, Subject, SubjectName, pol};
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::{self, Fact};
use crate::syntax::tokens::{Token, tokenize};
use commands::Command;
use std::path::{Path, PathBuf};
use why::LastAnswer;

/// What one input gives back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    /// The text to print (empty, or ending in a newline).
    pub text: String,
    /// `:quit`: the session is over.
    pub quit: bool,
}

impl Reply {
    fn text(text: impl Into<String>) -> Reply {
        let mut text = text.into();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        Reply { text, quit: false }
    }
}

/// Facts as they were before `:assume`.
#[derive(Debug)]
struct WhatIf {
    before: Facts,
    /// Facts assumed, typed or retracted since.
    changes: usize,
}

/// A REPL session: the policy, the facts, a pending what-if, the last answer.
#[derive(Debug)]
pub struct Session {
    paths: Vec<PathBuf>,
    loaded: Loaded,
    facts: Facts,
    whatif: Option<WhatIf>,
    last: Option<LastAnswer>,
    inputs: usize,
    style: HumanStyle,
}

impl Session {
    /// Loads the policy at `paths` and the facts of `data`. On failure, the diagnostics,
    /// rendered.
    pub fn start(
        paths: &[PathBuf],
        data: Option<&Path>,
        style: HumanStyle,
    ) -> Result<Session, String> {
        let mut loaded = crate::load_policy(paths)
            .map_err(|(sources, diags)| render_all(&diags, &sources, style))?;
        let facts = match data {
            Some(path) => crate::facts::load_data(&loaded.policy, &mut loaded.sources, path)
                .map_err(|diags| render_all(&diags, &loaded.sources, style))?,
            None => Facts::new(&loaded.policy),
        };
        Ok(Session {
            paths: paths.to_vec(),
            loaded,
            facts,
            whatif: None,
            last: None,
            inputs: 0,
            style,
        })
    }

    /// One line about what is loaded, for the start of a session.
    pub fn banner(&self) -> String {
        let p = &self.loaded.policy;
        let warnings = self.loaded.warnings.len();
        let mut s = format!(
            "polc repl: {} types, {} facts",
            p.types.len(),
            text::facts_lines(p, &self.facts).len()
        );
        if warnings > 0 {
            s.push_str(&format!(
                ", {} (see `polc check`)",
                plural(warnings, "policy warning")
            ));
        }
        s.push_str(". :help lists the commands; Ctrl-D quits.\n");
        s
    }

    /// The prompt: it says when a what-if is pending.
    pub fn prompt(&self) -> &'static str {
        if self.whatif.is_some() {
            "polc (what-if)> "
        } else {
            "polc> "
        }
    }

    /// The policy the session answers with.
    pub fn policy(&self) -> &crate::compiled::Policy {
        &self.loaded.policy
    }

    /// The session's facts as they stand (a what-if's assumptions included).
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The names completion offers, from the policy and the facts.
    pub fn vocabulary(&self) -> complete::Vocabulary {
        complete::Vocabulary::new(&self.loaded.policy, &self.facts, &self.loaded.files)
    }

    /// Runs one input: a `:` command, a query, or facts. Never panics on bad input: every
    /// problem is a diagnostic in the reply.
    pub fn run(&mut self, input: &str) -> Reply {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Reply::default();
        }
        if let Some(rest) = trimmed.strip_prefix(':') {
            let (name, args) = rest
                .split_once(char::is_whitespace)
                .map_or((rest, ""), |(n, a)| (n, a.trim()));
            return self.command(name, args);
        }
        let first = tokenize(trimmed)
            .into_iter()
            .find(|(t, _)| !t.is_comment())
            .map(|(t, r)| (t, &trimmed[r]));
        match first {
            None => Reply::default(),
            Some((Token::Keyword, "can" | "is" | "who" | "what" | "which")) => self.query(trimmed),
            Some((Token::Keyword, "facts")) => self.facts_block(trimmed),
            Some(_) => {
                let file = self.input_file(trimmed);
                let before = self.facts.assignment_count();
                let mut out = self.add_facts(file, trimmed);
                // `user:bob is admin on org:acme` without `;` reads like a question: say that
                // it was taken as a fact, and how to ask instead.
                if !trimmed.ends_with(';')
                    && self.facts.assignment_count() > before
                    && let Some((subject, rest)) = trimmed.split_once(" is ")
                    && !rest.contains(';')
                {
                    out.push_str(&format!(
                        "  note: `{trimmed}` is a fact, now in the facts; to ask instead, type `is {subject} {rest}` (`:retract {trimmed}` takes it back)\n"
                    ));
                }
                Reply::text(out)
            }
        }
    }

    fn command(&mut self, name: &str, args: &str) -> Reply {
        let Some(cmd) = commands::find(name) else {
            let mut s = format!("error: unknown command `:{name}`\n");
            let names: Vec<String> = commands::COMMANDS
                .iter()
                .map(|c| format!(":{}", c.1))
                .collect();
            let typed = format!(":{name}");
            match crate::diag::did_you_mean(&typed, names.iter().map(String::as_str)) {
                Some(h) => s.push_str(&format!("  help: {h}\n")),
                None => s.push_str("  help: :help lists the commands\n"),
            }
            return Reply::text(s);
        };
        let takes_args = matches!(
            cmd,
            Command::Assume
                | Command::Retract
                | Command::Facts
                | Command::Context
                | Command::Use
                | Command::Load
                | Command::Save
        );
        if !takes_args && !args.is_empty() {
            return Reply::text(format!(
                "error: `:{name}` takes no arguments\n  help: :help lists the commands\n"
            ));
        }
        match cmd {
            Command::Help => Reply::text(commands::help()),
            Command::Quit => Reply {
                // Leaving drops an uncommitted what-if: say what is lost.
                text: match &self.whatif {
                    Some(w) => format!(
                        "dropped the what-if ({} not committed)\n",
                        plural(w.changes, "change")
                    ),
                    None => String::new(),
                },
                quit: true,
            },
            Command::Assume => Reply::text(self.assume(args)),
            Command::Diff => Reply::text(self.diff()),
            Command::Commit => Reply::text(self.commit()),
            Command::Rollback => Reply::text(self.rollback()),
            Command::Retract => Reply::text(self.retract(args)),
            Command::Facts => Reply::text(self.list_facts(args)),
            Command::Save => Reply::text(self.save(args)),
            Command::Context => Reply::text(self.context(args)),
            Command::Why => Reply::text(self.why()),
            Command::Check => Reply::text(self.check()),
            Command::Use => Reply::text(self.use_block(args)),
            Command::Load => {
                let paths: Vec<PathBuf> = args.split_whitespace().map(PathBuf::from).collect();
                if paths.is_empty() {
                    return Reply::text(
                        "error: `:load` needs the policy files or folders\n  help: `:load policies/`\n",
                    );
                }
                Reply::text(self.load(paths))
            }
            Command::Reload => Reply::text(self.load(self.paths.clone())),
        }
    }

    /// Adds `text` to the sources under a name of its own, so that diagnostics show the input.
    fn input_file(&mut self, text: &str) -> FileId {
        self.inputs += 1;
        self.loaded
            .sources
            .add(format!("<input {}>", self.inputs), text.to_string())
    }

    fn render(&self, diags: &[Diagnostic]) -> String {
        render_all(diags, &self.loaded.sources, self.style)
    }

    fn query(&mut self, text: &str) -> Reply {
        let file = self.input_file(text);
        let q = match crate::syntax::parse_query(file, text) {
            Ok(q) => q,
            Err(d) => return Reply::text(self.render(&[d])),
        };
        let ctx = Context::from_facts(&self.loaded.policy, &self.facts);
        match query::run(&self.loaded.policy, &self.facts, &ctx, &q) {
            Ok(answer) => {
                let out = answer.render();
                self.last = Some(LastAnswer {
                    query: q,
                    text: text.to_string(),
                    answer,
                });
                Reply::text(out)
            }
            Err(d) => Reply::text(self.render(&[d])),
        }
    }

    fn context(&mut self, args: &str) -> String {
        let policy = &self.loaded.policy;
        if args.is_empty() {
            if policy.context.is_empty() {
                return "the policy declares no context\n".into();
            }
            let mut out = String::new();
            for (i, f) in policy.context.iter().enumerate() {
                let value = match self.facts.context.get(i).and_then(Option::as_ref) {
                    Some(v) => text::value(policy, &self.facts, v),
                    None if f.name == "now" => "(not set: the current time)".into(),
                    None => "(not set)".into(),
                };
                out.push_str(&format!("context.{} = {value}\n", f.name));
            }
            return out;
        }
        let text = format!("context.{}", args.trim_start_matches("context."));
        let file = self.input_file(&text);
        self.add_facts(file, &text)
    }

    fn why(&self) -> String {
        match &self.last {
            Some(last) => {
                why::explain(&self.loaded.policy, &self.facts, &self.loaded.sources, last)
            }
            None => {
                "no answer yet: ask a query first (`can user:alice view workspace:ml`)\n".into()
            }
        }
    }

    fn check(&self) -> String {
        let diags = whatif::violations(&self.loaded.policy, &self.facts);
        if diags.is_empty() {
            return "no constraint violation\n".into();
        }
        let mut out = self.render(&diags);
        out.push_str(&format!(
            "{}\n",
            plural(diags.len(), "constraint violation")
        ));
        out
    }

    fn use_block(&mut self, name: &str) -> String {
        let block = self
            .loaded
            .files
            .iter()
            .flat_map(|f| &f.items)
            .find_map(|i| match i {
                ast::Item::Facts(b) if b.name.name == name => Some(b.facts.clone()),
                _ => None,
            });
        match block {
            Some(list) => self.add_checked(&list),
            None => {
                let names: Vec<String> = self.vocabulary().facts_blocks;
                let mut s = format!("error: the policy has no `facts {name}` block\n");
                match crate::diag::did_you_mean(name, names.iter().map(String::as_str)) {
                    Some(h) => s.push_str(&format!("  help: {h}\n")),
                    None if names.is_empty() => {
                        s.push_str("  help: the policy has no facts blocks\n")
                    }
                    None => s.push_str(&format!("  help: the blocks are: {}\n", names.join(", "))),
                }
                s
            }
        }
    }

    /// `:load` and `:reload`: a new policy; the facts (and a pending what-if) carry over if
    /// they still check against it.
    fn load(&mut self, paths: Vec<PathBuf>) -> String {
        let mut new = match crate::load_policy(&paths) {
            Ok(l) => l,
            Err((sources, diags)) => {
                let mut out = render_all(&diags, &sources, self.style);
                out.push_str(&format!(
                    "{}: the previous policy stays\n",
                    plural(diags.iter().filter(|d| d.is_error()).count(), "error")
                ));
                return out;
            }
        };
        let mut out = String::new();
        let old = &self.loaded.policy;
        let facts = carry_over(old, &self.facts, &mut new, "<session facts>");
        let before = self
            .whatif
            .as_ref()
            .map(|w| carry_over(old, &w.before, &mut new, "<facts before :assume>"));
        let files = new.files.len();
        let warnings = new.warnings.len();
        let kept = match (facts, before) {
            (Ok(f), None) => {
                self.facts = f;
                true
            }
            (Ok(f), Some(Ok(b))) => {
                self.facts = f;
                if let Some(w) = &mut self.whatif {
                    w.before = b;
                }
                true
            }
            (Err(diags), _) | (Ok(_), Some(Err(diags))) => {
                out.push_str(&render_all(&diags, &new.sources, self.style));
                self.facts = Facts::new(&new.policy);
                self.whatif = None;
                false
            }
        };
        self.loaded = new;
        self.paths = paths;
        self.last = None;
        out.push_str(&format!(
            "loaded {}, {}",
            plural(files.max(1), "file"),
            plural(warnings, "warning")
        ));
        if kept {
            out.push_str(&format!(
                "; kept {}\n",
                plural(
                    text::facts_lines(&self.loaded.policy, &self.facts).len(),
                    "fact"
                )
            ));
        } else {
            out.push_str("; the facts do not fit the new policy: starting with no facts\n");
        }
        out
    }
}

/// The facts of `old`'s policy, written as Pol and checked against `new`'s.
fn carry_over(
    old: &crate::compiled::Policy,
    facts: &Facts,
    new: &mut Loaded,
    name: &str,
) -> Result<Facts, Vec<Diagnostic>> {
    let text = text::facts_lines(old, facts).join("\n");
    let mut out = Facts::new(&new.policy);
    if text.is_empty() {
        return Ok(out);
    }
    let file = new.sources.add(name, text.clone());
    let list = crate::syntax::parse_facts(file, &text)?;
    pol::load(&new.policy, &mut out, &list)?;
    Ok(out)
}

fn render_all(diags: &[Diagnostic], sources: &SourceMap, style: HumanStyle) -> String {
    diags
        .iter()
        .map(|d| render::human(d, sources, style))
        .collect()
}

/// `1 fact`, `2 facts`
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Whether `text` leaves a `{`, `(` or `[` open: the line editor then reads another line.
pub fn needs_more(text: &str) -> bool {
    let mut depth = 0i64;
    for (t, _) in tokenize(text) {
        match t {
            Token::LBrace | Token::LParen | Token::LBracket => depth += 1,
            Token::RBrace | Token::RParen | Token::RBracket => depth -= 1,
            _ => {}
        }
    }
    depth > 0
}

/// Where history is kept: `POLC_HISTORY`, else `$XDG_STATE_HOME/polc/history`, else
/// `~/.polc_history`. `None` when none of these is set.
pub fn history_path() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(p) = var("POLC_HISTORY") {
        return Some(PathBuf::from(p));
    }
    if let Some(state) = var("XDG_STATE_HOME") {
        return Some(PathBuf::from(state).join("polc").join("history"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".polc_history"))
}
