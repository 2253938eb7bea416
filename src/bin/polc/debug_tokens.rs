//! `polc debug tokens FILE`: the tokens the highlighter, completer and parser share.

use crate::output::{self, Color, Status};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Prints one token per line: `line:col kind \"text\"` (comments and doc comments included).

Example:
  polc debug tokens policies/deeploy/deeploy.pol";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `.pol` file to tokenize
    file: PathBuf,
}

pub fn run(args: &Args, color: Color) -> Status {
    let (sources, id) = match output::read_one(&args.file, color) {
        Ok(read) => read,
        Err(status) => return status,
    };
    let Some(file) = sources.get(id) else {
        return Status::Usage;
    };
    let mut out = String::new();
    for (token, range) in polc::syntax::tokens::tokenize(&file.text) {
        let at = file.line_col(range.start);
        let text = file.text.get(range).unwrap_or("");
        out.push_str(&format!("{}:{} {token:?} {text:?}\n", at.line, at.column));
    }
    output::print(&out);
    Status::Clean
}
