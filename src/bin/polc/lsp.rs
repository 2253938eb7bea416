//! `polc lsp`: the language server over stdio (the library's `polc::lsp`).

use crate::output::Status;

pub const AFTER_HELP: &str = "\
Speaks the Language Server Protocol on standard input and output, for editors: diagnostics,
hover, definition, references, completion, rename, formatting, code actions, outline, semantic
tokens and a code lens that runs tests (docs/editors.md). Logs go to standard error.

Exit status: 0 after `shutdown` and `exit`, 1 when the input ends without them.";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Accepted for editors that pass it; stdio is the only transport
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: &Args) -> Status {
    match polc::lsp::run_stdio() {
        0 => Status::Clean,
        _ => Status::Failed,
    }
}
