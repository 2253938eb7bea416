#![deny(missing_docs)]
//! The REPL's `:` commands: one table that `:help`, dispatch and completion all read.

/// A `:` command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `:help`: lists the commands.
    Help,
    /// `:quit`: leaves the REPL (also Ctrl-D).
    Quit,
    /// `:assume FACT...`: adds facts tentatively, opening a what-if.
    Assume,
    /// `:diff`: what the what-if changes: permissions gained and lost, constraints broken.
    Diff,
    /// `:commit`: keeps what was assumed.
    Commit,
    /// `:rollback`: drops what was assumed.
    Rollback,
    /// `:retract FACT`: removes a role assignment.
    Retract,
    /// `:facts [FILTER]`: lists the facts as Pol lines.
    Facts,
    /// `:context [NAME = VALUE]`: sets or shows the request context.
    Context,
    /// `:why`: the full derivation and reasons of the last answer.
    Why,
    /// `:check`: the constraint violations of the facts.
    Check,
    /// `:use NAME`: adds the facts of a `facts NAME { .. }` block.
    Use,
    /// `:load PATHS...`: loads another policy, keeping the facts that still check.
    Load,
    /// `:reload`: reads the policy files again.
    Reload,
    /// `:save FILE`: writes the session's facts to FILE as Pol.
    Save,
}

/// `(command, name, arguments, one line of help)`, in the order `:help` lists them.
pub const COMMANDS: &[(Command, &str, &str, &str)] = &[
    (
        Command::Assume,
        "assume",
        "FACT...",
        "add facts tentatively: a what-if that :diff, :commit and :rollback act on",
    ),
    (
        Command::Diff,
        "diff",
        "",
        "permissions gained and lost, and constraint violations caused, since :assume",
    ),
    (
        Command::Commit,
        "commit",
        "",
        "keep what was assumed (and typed or retracted since)",
    ),
    (
        Command::Rollback,
        "rollback",
        "",
        "drop what was assumed: the facts are as before :assume",
    ),
    (
        Command::Retract,
        "retract",
        "FACT",
        "remove a role assignment (`user:bob is operator on workspace:ml`)",
    ),
    (
        Command::Facts,
        "facts",
        "[FILTER]",
        "list the facts as Pol lines, those containing FILTER",
    ),
    (
        Command::Context,
        "context",
        "[NAME = VALUE]",
        "set a request context field (`:context mfa = true`); alone, show the context",
    ),
    (
        Command::Why,
        "why",
        "",
        "the full derivation and reasons of the last answer",
    ),
    (
        Command::Check,
        "check",
        "",
        "the constraint violations of the facts (min, max, separate, elevated)",
    ),
    (
        Command::Use,
        "use",
        "NAME",
        "add the facts of a `facts NAME { ... }` block of the policy",
    ),
    (
        Command::Load,
        "load",
        "PATHS...",
        "load another policy; the facts are kept if they still check",
    ),
    (
        Command::Reload,
        "reload",
        "",
        "re-read the policy files; on errors the previous policy stays",
    ),
    (
        Command::Save,
        "save",
        "FILE",
        "write the session's facts to FILE as Pol (`--data FILE` reads them back)",
    ),
    (Command::Help, "help", "", "this list"),
    (Command::Quit, "quit", "", "leave (also Ctrl-D)"),
];

/// Other names that are accepted.
const ALIASES: &[(&str, Command)] = &[
    ("q", Command::Quit),
    ("exit", Command::Quit),
    ("h", Command::Help),
    ("?", Command::Help),
];

/// The command named `name` (without the `:`).
pub fn find(name: &str) -> Option<Command> {
    COMMANDS
        .iter()
        .find(|c| c.1 == name)
        .map(|c| c.0)
        .or_else(|| ALIASES.iter().find(|a| a.0 == name).map(|a| a.1))
}

/// `:help`: every command with its line, then what else the prompt takes.
pub fn help() -> String {
    let mut out = String::from("Commands:\n");
    for (_, name, args, line) in COMMANDS {
        let head = if args.is_empty() {
            format!(":{name}")
        } else {
            format!(":{name} {args}")
        };
        out.push_str(&format!("  {head:<26}{line}\n"));
    }
    out.push_str(
        "\
Anything else is a query or facts:
  can user:alice delete workspace:ml        one decision, with its explanation
  is user:alice owner on workspace:ml       role membership, with its derivation
  who can delete workspace:ml               every actor that is allowed
  who is owner on workspace:ml              every actor holding the role
  what can user:alice do on workspace:ml    every permission the actor has there
  which workspace can user:alice delete     every resource of that type the actor may act on
  user:bob is operator on workspace:ml;     facts are checked, then added
  run:r1.approved = true;
  context.mfa = true;
An unclosed `{`, `(` or `[` continues on the next line; Ctrl-C cancels a line, Ctrl-D quits.
",
    );
    out
}
