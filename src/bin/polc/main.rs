//! `polc`: the command-line shell over the library. Each subcommand is a small file that calls
//! the library and renders what it returns; nothing here decides anything about policies.

mod audit;
mod check;
mod compile;
mod config;
mod debug_ast;
mod debug_graph;
mod debug_tokens;
mod diff;
mod eval;
mod explain;
#[cfg(feature = "store")]
pub(crate) mod facts;
mod fmt;
mod graph;
#[cfg(feature = "lsp")]
mod lsp;
mod output;
mod query;
mod repl;
#[cfg(feature = "serve")]
mod serve;
mod test;
mod watch;

use clap::{Parser, Subcommand};
use output::{Color, Status};

const AFTER_HELP: &str = "\
Examples:
  polc check                       check every .pol file below the current folder
  polc check policies/ --format sarif > polc.sarif
  polc explain E0202               what an error code means and how to fix it
  polc explain --list              every diagnostic code
  polc test policies/              run the test blocks of the policies
  polc query policies/ --data data.json 'who can delete workspace:ml'
  polc repl policies/ --data data.json   ask what-if questions
  polc debug ast policies/deeploy/deeploy.pol  the parsed syntax tree as JSON

Exit status: 0 when clean, 1 when the policy has errors (or warnings with --deny-warnings),
2 for usage errors and input that cannot be read.";

/// A policy-as-code engine: compiles .pol policies and explains every decision.
#[derive(Debug, Parser)]
#[command(name = "polc", version, after_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    /// When to colour output: `auto` colours when standard output is a terminal and `NO_COLOR`
    /// is not set.
    #[arg(long, value_enum, default_value_t = Color::Auto, global = true)]
    color: Color,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compile policies and report every diagnostic
    #[command(after_help = check::AFTER_HELP)]
    Check(check::Args),
    /// Run the `test` blocks of a policy
    #[command(after_help = test::AFTER_HELP)]
    Test(test::Args),
    /// Decide requests (JSON), one decision per line
    #[command(after_help = eval::AFTER_HELP)]
    Eval(eval::Args),
    /// Ask can / is / who can / who is / what can / which, with reasons
    #[command(after_help = query::AFTER_HELP)]
    Query(query::Args),
    /// The what-if shell: queries, facts, :assume / :diff / :rollback
    #[command(after_help = repl::AFTER_HELP)]
    Repl(repl::Args),
    /// Write the compiled policy as a versioned JSON artifact
    #[command(after_help = compile::AFTER_HELP)]
    Compile(compile::Args),
    /// Explain a diagnostic code
    #[command(after_help = explain::AFTER_HELP)]
    Explain(explain::Args),
    /// Rewrite policies in the canonical layout (or list the files that are not, with --check)
    #[command(after_help = fmt::AFTER_HELP)]
    Fmt(fmt::Args),
    /// Draw the resolved role graph (Graphviz dot or Mermaid)
    #[command(after_help = graph::AFTER_HELP)]
    Graph(graph::Args),
    /// Compare two versions of a policy: permissions, roles, edges, rules, decisions over data
    #[command(after_help = diff::AFTER_HELP)]
    Diff(diff::Args),
    /// Facts in a store: import a file, export, write a transaction
    #[cfg(feature = "store")]
    #[command(subcommand)]
    Facts(facts::Command),
    /// Audit the policy: escalation through assignments, the access review, blast radius
    #[command(subcommand)]
    Audit(audit::Command),
    /// The language server for editors (LSP over stdio)
    #[cfg(feature = "lsp")]
    #[command(after_help = lsp::AFTER_HELP)]
    Lsp(lsp::Args),
    /// Serve decisions over HTTP: the OpenID AuthZEN Authorization API 1.0
    #[cfg(feature = "serve")]
    #[command(after_help = serve::AFTER_HELP)]
    Serve(serve::Args),
    /// Show what one stage of the compiler makes of a file
    #[command(subcommand)]
    Debug(DebugCommand),
}

#[derive(Debug, Subcommand)]
enum DebugCommand {
    /// Print the tokens of a file, one per line: `line:col kind "text"`
    #[command(after_help = debug_tokens::AFTER_HELP)]
    Tokens(debug_tokens::Args),
    /// Parse a file and print its syntax tree as JSON, then its syntax diagnostics
    #[command(after_help = debug_ast::AFTER_HELP)]
    Ast(debug_ast::Args),
    /// Print the resolved role graph: roles, includes, from edges, effective permissions
    #[command(after_help = debug_graph::AFTER_HELP)]
    Graph(debug_graph::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let status: Status = match &cli.command {
        Command::Check(args) => check::run(args, cli.color),
        Command::Explain(args) => explain::run(args),
        Command::Test(args) => test::run(args, cli.color),
        Command::Eval(args) => eval::run(args, cli.color),
        Command::Query(args) => query::run(args, cli.color),
        Command::Repl(args) => repl::run(args, cli.color),
        Command::Compile(args) => compile::run(args, cli.color),
        Command::Fmt(args) => fmt::run(args, cli.color),
        Command::Graph(args) => graph::run(args, cli.color),
        Command::Diff(args) => diff::run(args, cli.color),
        Command::Audit(command) => audit::run(command, cli.color),
        #[cfg(feature = "store")]
        Command::Facts(command) => facts::run(command, cli.color),
        #[cfg(feature = "lsp")]
        Command::Lsp(args) => lsp::run(args),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args),
        Command::Debug(DebugCommand::Graph(args)) => debug_graph::run(args, cli.color),
        Command::Debug(DebugCommand::Tokens(args)) => debug_tokens::run(args, cli.color),
        Command::Debug(DebugCommand::Ast(args)) => debug_ast::run(args, cli.color),
    };
    status.into()
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
