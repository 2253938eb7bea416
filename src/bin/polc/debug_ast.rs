//! `polc debug ast FILE`: the parse stage's output.

use crate::output::{self, Color, Status};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Prints the syntax tree as pretty JSON on standard output, then the syntax diagnostics on
standard error. Nothing is resolved: names are still plain strings.

Example:
  polc debug ast policies/deeploy/deeploy.pol | jq '.items[0]'";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The `.pol` file to parse
    file: PathBuf,
}

pub fn run(args: &Args, color: Color) -> Status {
    let (sources, id) = match output::read_one(&args.file, color) {
        Ok(read) => read,
        Err(status) => return status,
    };
    let text = sources.get(id).map_or("", |f| f.text.as_str());
    let (ast, diags) = polc::syntax::parse_file(id, text);
    match serde_json::to_string_pretty(&ast) {
        Ok(json) => output::print(&(json + "\n")),
        Err(e) => {
            output::eprint(&format!("error: cannot print the syntax tree: {e}\n"));
            return Status::Usage;
        }
    }
    output::eprint(&output::human(&diags, &sources, output::human_style(color)));
    if diags.iter().any(|d| d.is_error()) {
        Status::Failed
    } else {
        Status::Clean
    }
}
