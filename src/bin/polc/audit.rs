//! `polc audit escalation POLICY`: who can come to hold more than they have, through the roles
//! their permissions let them assign. The analysis is `polc::audit`.

use crate::output::{self, Color, Status, count};
use polc::diag::render::{self, Format};
use std::path::PathBuf;

pub const AFTER_HELP: &str = "\
Every role whose holder can come to hold more than it has through `permissions P assigns R;`:
a role assigning a role with permissions it lacks (W0701), a chain of assignments (W0702), a
role gained that gives the holder's role back on a broader scope through `from` (W0703), a
sealed or elevated role reachable by assignment (W0704). Each finding names the path.

Examples:
  polc audit escalation policies/deeploy
  polc audit escalation policies/lazsa --format sarif > audit.sarif

Exit status: 0 when nothing is found, 1 when there are findings (or the policy has errors),
2 when a file cannot be read.";

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Privilege escalation through assignments
    #[command(after_help = AFTER_HELP)]
    Escalation(EscalationArgs),
}

#[derive(Debug, clap::Args)]
pub struct EscalationArgs {
    /// Policy files or folders
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub fn run(command: &Command, color: Color) -> Status {
    match command {
        Command::Escalation(args) => escalation(args, color),
    }
}

fn escalation(args: &EscalationArgs, color: Color) -> Status {
    let loaded = match output::load_policy(&args.paths, None, color) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let findings = polc::audit::escalation(&loaded.policy);
    let diags = polc::audit::escalation_diagnostics(&findings, &loaded.files);
    let sources = &loaded.sources;
    match args.format {
        Format::Human => {
            let mut text = output::human(&diags, sources, output::human_style(color));
            text.push_str(&format!(
                "audit escalation: {}\n",
                count(diags.len(), "finding")
            ));
            output::print(&text);
        }
        Format::Json => output::print(&(render::json(&diags, sources) + "\n")),
        Format::Github => output::print(&render::github(&diags, sources)),
        Format::Sarif => output::print(&(render::sarif(&diags, sources) + "\n")),
    }
    if diags.is_empty() {
        Status::Clean
    } else {
        Status::Failed
    }
}
