//! `polc repl`: the what-if shell. The session (queries, facts, `:` commands) is
//! `polc::repl::Session`; this file only reads lines and prints replies.

use crate::output::{self, Color, Status};
use polc::repl::editor::ReplHelper;
use polc::repl::{Session, history_path, needs_more};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Type a query (`can user:alice delete workspace:ml`), facts (`user:bob is operator on
workspace:ml;`) or a command (`:help` lists them). `:assume FACT...` starts a what-if, `:diff`
shows the permissions gained and lost and the constraint violations caused, `:rollback` drops it.

Examples:
  polc repl policies/ --data data.json
  polc repl policies/            then `:use acme` to add the facts of a `facts acme` block

History is kept in $POLC_HISTORY, else $XDG_STATE_HOME/polc/history, else ~/.polc_history.
When standard input is not a terminal, lines are read from it without editing.";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders (or one compiled artifact)
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Facts to start with: a JSON document or a `.pol` file of facts
    #[arg(long)]
    data: Option<PathBuf>,
}

pub fn run(args: &Args, color: Color) -> Status {
    let style = output::human_style(color);
    let mut session = match Session::start(&args.paths, args.data.as_deref(), style) {
        Ok(s) => s,
        Err(text) => {
            output::eprint(&text);
            return Status::Failed;
        }
    };
    output::print(&session.banner());
    if !std::io::stdin().is_terminal() {
        return piped(&mut session);
    }
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut editor: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            output::eprint(&format!("error: cannot start the line editor: {e}\n"));
            return Status::Usage;
        }
    };
    editor.set_helper(Some(ReplHelper::new(session.vocabulary(), style.color)));
    let history = history_path();
    if let Some(h) = &history {
        // A first session has no history yet.
        let _ = editor.load_history(h);
    }
    loop {
        match editor.readline(session.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    if let Some(h) = &history {
                        save_history(&mut editor, h);
                    }
                }
                let reply = session.run(&line);
                output::print(&reply.text);
                if reply.quit {
                    break;
                }
                if let Some(helper) = editor.helper_mut() {
                    helper.vocabulary = session.vocabulary();
                }
            }
            // Ctrl-C cancels the line being typed.
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                output::eprint(&format!("error: {e}\n"));
                return Status::Usage;
            }
        }
    }
    Status::Clean
}

fn save_history(editor: &mut Editor<ReplHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    if editor.append_history(path).is_err() {
        let _ = editor.save_history(path);
    }
}

/// Lines from a pipe: a line that leaves a bracket open continues on the next, as at the
/// terminal.
fn piped(session: &mut Session) -> Status {
    let mut pending = String::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        pending.push_str(&line);
        pending.push('\n');
        if needs_more(&pending) {
            continue;
        }
        let reply = session.run(&pending);
        pending.clear();
        output::print(&reply.text);
        if reply.quit {
            return Status::Clean;
        }
    }
    if !pending.trim().is_empty() {
        output::print(&session.run(&pending).text);
    }
    Status::Clean
}
