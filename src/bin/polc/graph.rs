//! `polc graph [PATHS...]`: the resolved role graph as Graphviz `dot` or Mermaid.

use crate::output::{self, Color, Status};
use polc::tools::graph::{self, GraphFormat};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
A cluster per resource type with its roles and their effective permissions; `includes` edges,
`from` edges labelled by relation path, `default from` edges dashed. Arrows point from the role
held to the role it gives.

Examples:
  polc graph policies/ | dot -Tsvg > roles.svg
  polc graph policies/ --resource workspace --format mermaid";

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Format {
    Dot,
    Mermaid,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files or folders (or one compiled `.json` artifact)
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output language
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    format: Format,

    /// Only this resource type, and the roles of other types linked to its roles
    #[arg(long, value_name = "TYPE")]
    resource: Option<String>,
}

pub fn run(args: &Args, color: Color) -> Status {
    let loaded = match output::load_policy(&args.paths, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let format = match args.format {
        Format::Dot => GraphFormat::Dot,
        Format::Mermaid => GraphFormat::Mermaid,
    };
    match graph::render(&loaded.policy, format, args.resource.as_deref()) {
        Ok(text) => {
            output::print(&text);
            Status::Clean
        }
        Err(e) => {
            output::eprint(&format!("error: {e}\n"));
            Status::Usage
        }
    }
}
